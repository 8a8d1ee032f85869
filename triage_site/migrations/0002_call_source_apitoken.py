from django.conf import settings
from django.db import migrations, models
import django.db.models.deletion


class Migration(migrations.Migration):

    dependencies = [
        ("triage_site", "0001_call"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="call",
            name="source",
            field=models.CharField(choices=[("dispatch", "Dispatcher"), ("api", "API"), ("scenario", "Scenario")], default="dispatch", max_length=16),
        ),
        migrations.AddField(
            model_name="call",
            name="chat_messages",
            field=models.JSONField(blank=True, help_text="An API client's own chat messages; when set, the engine answers these instead of the dispatcher's-assistant prompt.", null=True),
        ),
        migrations.AddField(
            model_name="call",
            name="max_new_tokens",
            field=models.PositiveIntegerField(blank=True, help_text="Cap on the response; empty: the engine's default.", null=True),
        ),
        migrations.CreateModel(
            name="ApiToken",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(help_text="What the token is for, e.g. the client's name.", max_length=100)),
                ("key_sha256", models.CharField(editable=False, max_length=64, unique=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("last_used_at", models.DateTimeField(blank=True, null=True)),
                ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="api_tokens", to=settings.AUTH_USER_MODEL)),
            ],
        ),
    ]
