"""Forms of the sample pages; the checks that matter live in services and reconstruction.io."""

from __future__ import annotations

from django import forms
from django.contrib.auth.models import AbstractBaseUser

from automat_web.accounts.groups import lab_groups
from reconstruction.chemistry import UnknownElement, parse_elements
from reconstruction.io.calibration import user_calibration
from reconstruction.io.errors import IngestError
from reconstruction.io.modes import IMAGING_MODES

STACK_CHOICES = [
    ("", "— (single image)"),
    ("sum", "Sum all frames"),
    ("align", "Align and sum frames (drift-corrected)"),
    ("frame", "One frame"),
]


def _stack_value(mode: str, frame: int | None) -> str | None:
    if not mode:
        return None
    if mode == "frame":
        return f"frame:{frame or 0}"
    return mode


MODE_CHOICES = [("", "— as the file says (iDPC if it does not)"), *IMAGING_MODES.items()]


class UploadForm(forms.Form):
    file = forms.FileField(
        help_text="TIFF, PNG/JPEG, DM3/DM4, Velox or Berkeley EMD, SER, MRC or NumPy .npy",
        error_messages={"empty": "the file is empty (0 bytes)"},
    )
    group = forms.ModelChoiceField(queryset=None, empty_label=None, label="Lab group")
    name = forms.CharField(max_length=255, required=False)
    elements = forms.CharField(
        max_length=200, required=False, help_text="Elements present, e.g. “Mo, S”."
    )
    pixel_size_A = forms.FloatField(
        required=False,
        label="Pixel size (Å/px)",
        help_text="Leave empty to use the file's calibration.",
    )
    mode = forms.ChoiceField(
        choices=MODE_CHOICES,
        required=False,
        label="Imaging mode",
        help_text="How the image was recorded: every step reads the contrast so.",
    )
    stack = forms.ChoiceField(choices=STACK_CHOICES, required=False, label="If a stack")
    frame = forms.IntegerField(required=False, min_value=0, label="Frame (for “one frame”)")
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, user: AbstractBaseUser, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = lab_groups(user)

    def clean_elements(self) -> list[str]:
        try:
            return parse_elements(self.cleaned_data["elements"])
        except UnknownElement as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_pixel_size_A(self) -> float | None:
        value = self.cleaned_data["pixel_size_A"]
        if value is not None:
            _check_pixel_size(value)
        return value

    @property
    def stack_value(self) -> str | None:
        return _stack_value(self.cleaned_data.get("stack", ""), self.cleaned_data.get("frame"))


class PixelSizeForm(forms.Form):
    pixel_size_A = forms.FloatField(
        required=False, label="Pixel size (Å/px)", widget=forms.NumberInput(attrs={"step": "any"})
    )
    use_file = forms.BooleanField(required=False, label="Use the file's calibration")
    suggested_by = forms.CharField(required=False, max_length=128, widget=forms.HiddenInput)

    def clean(self) -> dict:
        data = super().clean()
        px = data.get("pixel_size_A")
        if not data.get("use_file"):
            if px is None:
                raise forms.ValidationError("enter a pixel size in Å per pixel")
            _check_pixel_size(px)
        return data


class ModeForm(forms.Form):
    mode = forms.ChoiceField(choices=MODE_CHOICES, required=False, label="Imaging mode")


def _check_pixel_size(value: float) -> None:
    """The same rule as every other way in (``reconstruction.io.user_calibration``)."""
    try:
        user_calibration(value)
    except IngestError as exc:
        raise forms.ValidationError(str(exc)) from None


class SignalForm(forms.Form):
    signal = forms.TypedChoiceField(coerce=int, choices=(), label="Signal")
    stack = forms.ChoiceField(choices=STACK_CHOICES, required=False, label="Stack")
    frame = forms.IntegerField(required=False, min_value=0)

    def __init__(self, *args, signals, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["signal"].choices = [
            (s.index, f"{s.name} ({' × '.join(map(str, s.shape))})") for s in signals
        ]

    @property
    def stack_value(self) -> str | None:
        return _stack_value(self.cleaned_data.get("stack", ""), self.cleaned_data.get("frame"))
