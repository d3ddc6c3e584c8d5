from django.contrib import admin

from automat_web.structures.models import Structure


@admin.register(Structure)
class StructureAdmin(admin.ModelAdmin):
    list_display = [
        "formula",
        "spacegroup",
        "formation_energy_per_atom",
        "energy_model",
        "curation_state",
        "created",
    ]
    list_filter = ["curation_state", "energy_model"]
    search_fields = ["formula", "template_id"]
    raw_id_fields = ["run"]
