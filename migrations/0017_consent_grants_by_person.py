from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('scorelink', '0016_population_rescoring')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='ConsentGrant',
            index=Index(fields=['person_id', 'status']),
        ),
    ]
