"""Curation: versions of a structure (``parent``, ``origin_run``), the review trail, lab
curators, the energy job of a corrected version and promotion to the template library."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def fill_origin_run(apps, schema_editor):
    Structure = apps.get_model("structures", "Structure")
    Structure.objects.filter(origin_run__isnull=True).update(origin_run=models.F("run"))


class Migration(migrations.Migration):

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("runs", "0001_initial"),
        ("structures", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="structure",
            name="run",
            field=models.OneToOneField(
                blank=True,
                help_text="The run whose machine result this is (empty for a curated version).",
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="structure",
                to="runs.run",
            ),
        ),
        migrations.AddField(
            model_name="structure",
            name="origin_run",
            field=models.ForeignKey(
                null=True,
                help_text="The run the lineage started from (its sample's lab decides who sees it).",
                on_delete=django.db.models.deletion.CASCADE,
                related_name="structure_versions",
                to="runs.run",
            ),
        ),
        migrations.RunPython(fill_origin_run, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="structure",
            name="origin_run",
            field=models.ForeignKey(
                help_text="The run the lineage started from (its sample's lab decides who sees it).",
                on_delete=django.db.models.deletion.CASCADE,
                related_name="structure_versions",
                to="runs.run",
            ),
        ),
        migrations.AddField(
            model_name="structure",
            name="parent",
            field=models.ForeignKey(
                blank=True,
                help_text="The version this one corrects.",
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="children",
                to="structures.structure",
            ),
        ),
        migrations.AddField(
            model_name="structure",
            name="version",
            field=models.PositiveIntegerField(default=1, help_text="1: the machine result."),
        ),
        migrations.AddField(
            model_name="structure",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                help_text="The curator who made this version (empty: the machine).",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="structure",
            name="edits",
            field=models.JSONField(
                blank=True, default=list, help_text="The corrections applied to the parent, in order."
            ),
        ),
        migrations.AddField(
            model_name="structure",
            name="energy_status",
            field=models.CharField(
                blank=True,
                choices=[
                    ("", "from the run"),
                    ("queued", "Queued"),
                    ("running", "Running"),
                    ("succeeded", "Succeeded"),
                    ("failed", "Failed"),
                ],
                default="",
                help_text="The energy job of a curated version (empty: energies come from the run).",
                max_length=16,
            ),
        ),
        migrations.AddField(
            model_name="structure",
            name="energy_error",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="structure",
            name="library_id",
            field=models.CharField(
                blank=True, help_text="Template-library id once promoted.", max_length=128
            ),
        ),
        migrations.AddField(
            model_name="structure",
            name="promoted_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="structure",
            name="promoted_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="structure",
            name="curation_state",
            field=models.CharField(
                choices=[
                    ("unreviewed", "Unreviewed"),
                    ("accepted", "Accepted"),
                    ("rejected", "Rejected"),
                    ("corrected", "Corrected"),
                ],
                db_index=True,
                default="unreviewed",
                max_length=16,
            ),
        ),
        migrations.AddConstraint(
            model_name="structure",
            constraint=models.UniqueConstraint(
                fields=("origin_run", "version"), name="structures_unique_version"
            ),
        ),
        migrations.CreateModel(
            name="Review",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("from_state", models.CharField(choices=[("unreviewed", "Unreviewed"), ("accepted", "Accepted"), ("rejected", "Rejected"), ("corrected", "Corrected")], max_length=16)),
                ("to_state", models.CharField(choices=[("unreviewed", "Unreviewed"), ("accepted", "Accepted"), ("rejected", "Rejected"), ("corrected", "Corrected")], max_length=16)),
                ("comment", models.TextField(blank=True)),
                ("created", models.DateTimeField(auto_now_add=True)),
                ("new_version", models.ForeignKey(blank=True, help_text="The version a correction produced.", null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="structures.structure")),
                ("reviewer", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="structure_reviews", to=settings.AUTH_USER_MODEL)),
                ("structure", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="reviews", to="structures.structure")),
            ],
            options={"ordering": ["structure", "created", "id"]},
        ),
        migrations.CreateModel(
            name="LabCurator",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created", models.DateTimeField(auto_now_add=True)),
                ("granted_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL)),
                ("group", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="curators", to="auth.group")),
                ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="curated_labs", to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "ordering": ["group", "user"],
                "constraints": [models.UniqueConstraint(fields=("group", "user"), name="structures_curator_unique")],
            },
        ),
    ]
