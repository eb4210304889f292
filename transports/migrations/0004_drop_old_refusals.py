"""The refusals' old table goes (copied by 0003_synced_data); the new one takes its name."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("transports", "0003_synced_data")]

    operations = [
        migrations.DeleteModel("DestinationRefusal"),
        migrations.RenameModel("NewDestinationRefusal", "DestinationRefusal"),
    ]
