from django.contrib import admin

from automat_web.samples.models import Micrograph, Sample


@admin.register(Micrograph)
class MicrographAdmin(admin.ModelAdmin):
    list_display = ["sha256", "format", "size_bytes", "created"]
    search_fields = ["sha256"]
    readonly_fields = ["sha256", "size_bytes", "format", "file_info", "metadata", "created"]


@admin.register(Sample)
class SampleAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "group", "pixel_size_A", "calibration_source", "created"]
    list_filter = ["group", "calibration_source"]
    search_fields = ["name", "original_filename"]
    raw_id_fields = ["micrograph"]
