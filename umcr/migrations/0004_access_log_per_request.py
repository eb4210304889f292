"""The access log holds one row per request and kind of record (record_ids, a list), with the
channel (rest, sync, admin, command) and the request's path."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("responders", "0002_responder_scope_changed_seq"),
        ("umcr", "0003_sync_batch_body_hash"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="accesslog",
            name="channel",
            field=models.CharField(
                choices=[
                    ("rest", "REST API"),
                    ("sync", "Sync pull"),
                    ("admin", "Admin"),
                    ("command", "Command"),
                ],
                default="rest",
                max_length=16,
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="accesslog",
            name="record_ids",
            field=models.JSONField(
                default=list,
                help_text="The ids read, as strings (one for a single record's page).",
            ),
        ),
        migrations.AddField(
            model_name="accesslog",
            name="path",
            field=models.CharField(blank=True, help_text="The request's path.", max_length=255),
        ),
        migrations.AlterField(
            model_name="accesslog",
            name="action",
            field=models.CharField(choices=[("read", "Read")], default="read", max_length=16),
        ),
        migrations.AlterField(
            model_name="accesslog",
            name="record_type",
            field=models.CharField(
                help_text="The model's name: 'call', 'person', 'note', 'followup', ...",
                max_length=32,
            ),
        ),
        migrations.AlterField(
            model_name="accesslog",
            name="accessed_at",
            field=models.DateTimeField(
                db_index=True, default=django.utils.timezone.now, editable=False
            ),
        ),
        migrations.AlterField(
            model_name="accesslog",
            name="user",
            field=models.ForeignKey(
                blank=True,
                help_text="Empty for a command or task run by no one signed in.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="accesslog",
            name="device",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="responders.device",
            ),
        ),
        migrations.AlterField(
            model_name="accesslog",
            name="provider",
            field=models.ForeignKey(
                blank=True,
                help_text="The provider whose records were read (scopes the log for "
                "supervisors); empty when the read spans providers (the desk's pulls, a "
                "superuser's pages).",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="responders.provider",
            ),
        ),
        migrations.AddIndex(
            model_name="accesslog",
            index=models.Index(
                fields=["provider", "-accessed_at"], name="umcr_access_provide_77a52a_idx"
            ),
        ),
    ]
