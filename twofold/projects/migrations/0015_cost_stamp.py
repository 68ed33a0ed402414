from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0014_plan_stamp"),
    ]

    operations = [
        migrations.AddField(
            model_name="project",
            name="cost_stamp",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
    ]
