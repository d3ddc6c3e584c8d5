"""Upload handling: always to disk under DATA_DIR/tmp, and stopped as soon as it is too big."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.files.uploadhandler import StopUpload, TemporaryFileUploadHandler


class SizeLimitedUploadHandler(TemporaryFileUploadHandler):
    """Spool every upload to a temporary file; abort past ``AUTOMAT_MAX_UPLOAD_MB``.

    The view learns of an aborted upload from ``request.upload_too_large`` and says so,
    instead of the generic "this field is required" Django would show.
    """

    def __init__(self, request=None) -> None:
        super().__init__(request)
        self.limit = settings.MAX_UPLOAD_MB * 1024 * 1024
        self.received = 0

    def _reject(self) -> None:
        if self.request is not None:
            self.request.upload_too_large = True
        raise StopUpload(connection_reset=False)

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        # Multipart overhead is small: a request this much larger than the limit cannot
        # fit. (Django does not catch StopUpload here, so it is raised in new_file.)
        self.over_limit = bool(content_length and content_length > self.limit + 1024 * 1024)
        return super().handle_raw_input(input_data, META, content_length, boundary, encoding)

    def new_file(self, *args, **kwargs) -> None:
        if getattr(self, "over_limit", False):
            self._reject()
        Path(settings.FILE_UPLOAD_TEMP_DIR).mkdir(parents=True, exist_ok=True)
        super().new_file(*args, **kwargs)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.file.close()
            self._reject()
        return super().receive_data_chunk(raw_data, start)


def multipart_data(request):
    """The parsed body of an API upload (DRF ``request``), or a 400 under ``file`` when the
    upload was stopped for its size (parsing the body is what notices that)."""
    from rest_framework.exceptions import ValidationError

    data = request.data
    if getattr(request._request, "upload_too_large", False):
        raise ValidationError(
            {"file": [f"the file is over the upload limit of {settings.MAX_UPLOAD_MB} MB"]}
        )
    return data
