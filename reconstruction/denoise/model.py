"""The mixture of experts: a compact ResNet router and K experts (denoising VAE + EDSR x2).

Inputs are image tensors ``(B, 2, H, W)`` at 0.2 Å/px: channel 0 the image normalised by
its signal std (:func:`reconstruction.denoise.data.normalisation`), channel 1 a constant
plane holding ``log`` of the image's relative noise (noise-level conditioning, so one
network covers the doses). ``H`` and ``W`` must be multiples of 4 (the VAE's two stride-2 stages).
Only imported when a learned method runs (torch).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F


@dataclass(frozen=True)
class ModelConfig:
    """Sizes of the networks (stored in the weights file).

    Attributes
    ----------
    n_experts : int
        K, the number of experts (routing classes).
    vae_channels : int
        Features of the VAE's first level (doubled at 1/4 resolution).
    latent_channels : int
        Channels of the VAE's latent map (at 1/4 resolution).
    edsr_features, edsr_blocks : int
        Width and residual blocks of the EDSR stage.
    router_channels : int
        Width of the router's first stage.
    scale : int
        Super-resolution factor of the EDSR stage (0.2 -> 0.1 Å/px).
    """

    n_experts: int = 4
    vae_channels: int = 16
    latent_channels: int = 8
    edsr_features: int = 16
    edsr_blocks: int = 3
    router_channels: int = 16
    scale: int = 2

    def as_dict(self) -> dict:
        return asdict(self)


def _conv(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=1)


class ResBlock(nn.Module):
    """EDSR residual block (no batch norm): x + conv(relu(conv(x)))."""

    def __init__(self, features: int) -> None:
        super().__init__()
        self.body = nn.Sequential(_conv(features, features), nn.ReLU(), _conv(features, features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class VAE(nn.Module):
    """Denoising VAE: encoder to a latent map at 1/4 resolution, decoder back to an image."""

    def __init__(self, channels: int, latent: int) -> None:
        super().__init__()
        c = channels
        self.encoder = nn.Sequential(
            _conv(2, c), nn.ReLU(), _conv(c, c, 2), nn.ReLU(), _conv(c, 2 * c, 2), nn.ReLU()
        )
        self.mu = nn.Conv2d(2 * c, latent, 1)
        self.logvar = nn.Conv2d(2 * c, latent, 1)
        self.decoder = nn.Sequential(
            _conv(latent, 2 * c),
            nn.ReLU(),
            nn.Upsample(scale_factor=2, mode="nearest"),
            _conv(2 * c, c),
            nn.ReLU(),
            nn.Upsample(scale_factor=2, mode="nearest"),
            _conv(c, c),
            nn.ReLU(),
            nn.Conv2d(c, 1, 3, padding=1),
        )

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        h = self.encoder(x)
        mu, logvar = self.mu(h), self.logvar(h).clamp(-10, 10)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) if self.training else mu
        return self.decoder(z), mu, logvar


class EDSR(nn.Module):
    """EDSR-style x``scale`` stage on (VAE image, noisy image, noise level): head conv,
    residual blocks with a long skip, sub-pixel upsampling, plus the VAE image upsampled."""

    def __init__(self, features: int, blocks: int, scale: int) -> None:
        super().__init__()
        self.scale = scale
        self.head = _conv(3, features)
        self.body = nn.Sequential(*[ResBlock(features) for _ in range(blocks)])
        self.body_tail = _conv(features, features)
        self.upsample = nn.Sequential(_conv(features, scale * scale), nn.PixelShuffle(scale))

    def forward(self, vae_image: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        h = self.head(torch.cat([vae_image, x], dim=1))
        h = h + self.body_tail(self.body(h))
        base = F.interpolate(vae_image, scale_factor=self.scale, mode="bilinear")
        return base + self.upsample(h)


class Expert(nn.Module):
    """One expert: VAE denoiser then EDSR x``scale``; ``forward`` returns the super-resolved
    output (``scale`` times the input's size), the VAE image and the latent's mean and
    log-variance."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.vae = VAE(config.vae_channels, config.latent_channels)
        self.sr = EDSR(config.edsr_features, config.edsr_blocks, config.scale)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        vae_image, mu, logvar = self.vae(x)
        return self.sr(vae_image, x), vae_image, mu, logvar


class Router(nn.Module):
    """Compact ResNet classifier: which expert (routing class) a patch belongs to."""

    def __init__(self, channels: int, n_experts: int) -> None:
        super().__init__()
        c = channels
        self.stem = nn.Sequential(_conv(2, c, 2), nn.ReLU())
        self.stage1 = ResBlock(c)
        self.down = nn.Sequential(_conv(c, 2 * c, 2), nn.ReLU())
        self.stage2 = ResBlock(2 * c)
        self.fc = nn.Linear(2 * c, n_experts)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.stage2(self.down(torch.relu(self.stage1(self.stem(x)))))
        return self.fc(h.mean(dim=(2, 3)))


class MixtureOfExperts(nn.Module):
    """Router + K experts (hard routing: one expert per image or patch)."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.router = Router(config.router_channels, config.n_experts)
        self.experts = nn.ModuleList([Expert(config) for _ in range(config.n_experts)])


def kl_divergence(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(q(z|x) || N(0, 1)), mean over latent elements."""
    return -0.5 * torch.mean(1 + logvar - mu.pow(2) - logvar.exp())
