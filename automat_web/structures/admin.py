from django.contrib import admin

from automat_web.structures.models import LabCurator, Review, Structure


@admin.register(Structure)
class StructureAdmin(admin.ModelAdmin):
    list_display = [
        "formula",
        "spacegroup",
        "formation_energy_per_atom",
        "energy_model",
        "version",
        "curation_state",
        "created",
    ]
    list_filter = ["curation_state", "energy_model"]
    search_fields = ["formula", "template_id"]
    raw_id_fields = ["run", "origin_run", "parent"]
    # Reviews go through the structure page, which keeps the audit trail.
    readonly_fields = ["curation_state"]


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    """The audit trail: read only (reviews are made on the structure page)."""

    list_display = ["structure", "from_state", "to_state", "reviewer", "created"]
    list_filter = ["to_state"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(LabCurator)
class LabCuratorAdmin(admin.ModelAdmin):
    list_display = ["user", "group", "granted_by", "created"]
    list_filter = ["group"]
