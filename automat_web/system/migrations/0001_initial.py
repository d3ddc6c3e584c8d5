from django.db import migrations, models
from pgvector.django import VectorExtension


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [
        # pgvector: the template library's descriptor vectors live in this database.
        VectorExtension(),
        migrations.CreateModel(
            name="WorkerHeartbeat",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                ("hostname", models.CharField(max_length=255, unique=True)),
                ("last_seen", models.DateTimeField()),
                (
                    "broker",
                    models.CharField(
                        help_text="Broker transport (redis, sqla, ...).", max_length=32
                    ),
                ),
                ("beats", models.PositiveBigIntegerField(default=0)),
            ],
            options={"ordering": ["-last_seen"]},
        ),
    ]
