from django.contrib import admin

from automat_web.runs.models import Run, Step, StepArtifact


class StepInline(admin.TabularInline):
    model = Step
    extra = 0
    fields = ["attempt", "index", "tool", "ok", "summary", "duration_s", "error"]
    readonly_fields = fields
    can_delete = False


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    list_display = ["id", "sample", "status", "policy", "attempts", "created", "finished"]
    list_filter = ["status", "policy"]
    search_fields = ["sample__name", "celery_task_id"]
    raw_id_fields = ["sample", "requested_by"]
    inlines = [StepInline]


@admin.register(StepArtifact)
class StepArtifactAdmin(admin.ModelAdmin):
    list_display = ["name", "suffix", "sha256", "size_bytes", "step"]
    raw_id_fields = ["step"]
