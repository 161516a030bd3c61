"""The default escalation ladder (six steps, as in the Telegram case of 2016-2017) and the sweep every minute.

Response times are 4 hours for urgent items and 24 hours for others, calendar time; administrators change
them, the templates and whether a step waits for confirmation in the admin.
"""

from django.db import migrations

POLICY = "Default ladder"
SWEEP = ("Notice escalation sweep: owner reminders before deadlines, next ladder step when one lapses", "notices.sweep", 60)

FOOTER = (
    "\n\nPlease reply to this message keeping the reference {reference} in the subject, stating for each item "
    "whether it was removed, restricted in Indonesia, or why not.\n\n"
    "Directorate of Content Control\n"
)
ITEMS = "The following content, {item_count} item(s), is unlawful under {legal_basis}:\n\n{items}\n\n"
STEPS = [
    # position, name, kind, automatic, subject, opening
    (1, "First notice", "notice", True, "[{reference}] Request to remove unlawful content on {platform}",
     "Dear {operator},\n\nThe Ministry asks you to remove or restrict access in Indonesia to content on {platform}. "),
    (2, "Reminder", "reminder", True, "[{reference}] Reminder: unlawful content on {platform}",
     "Dear {operator},\n\nWe have had no answer to our earlier notice ({previous_references}). "),
    (3, "Second reminder", "reminder", True, "[{reference}] Second reminder: unlawful content on {platform}",
     "Dear {operator},\n\nOur notices {previous_references} remain unanswered. "),
    (4, "Second warning", "reminder", True, "[{reference}] Warning: unlawful content on {platform}",
     "Dear {operator},\n\nThis is a formal warning: our notices {previous_references} remain unanswered. "),
    (5, "Final warning", "final_warning", False, "[{reference}] FINAL WARNING: unlawful content on {platform}",
     "Dear {operator},\n\nThis is the final warning before the Ministry considers blocking access to {platform} "
     "in Indonesia. Our notices {previous_references} remain unanswered. "),
    (6, "Block proposal", "block_proposal", True, "", ""),
]
DEADLINE = "Please act by {deadline} ({response_time})."


def create_ladder(apps, schema_editor):
    Policy = apps.get_model("notices", "EscalationPolicy")
    Step = apps.get_model("notices", "EscalationStep")
    policy, created = Policy.objects.get_or_create(
        name=POLICY,
        defaults={"is_default": True, "description": "Six steps: notice, two reminders, two warnings, block proposal."},
    )
    if not created:
        return
    for position, name, kind, automatic, subject, opening in STEPS:
        body = "" if kind == "block_proposal" else opening + ITEMS + DEADLINE + FOOTER
        Step.objects.create(
            policy=policy,
            position=position,
            name=name,
            kind=kind,
            automatic=automatic,
            subject_template=subject,
            body_template=body,
            urgent_response_minutes=4 * 60,
            normal_response_minutes=24 * 60,
        )
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    name, task, seconds = SWEEP
    every, _ = IntervalSchedule.objects.get_or_create(every=seconds, period="seconds")
    PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "interval": every})


def remove_ladder(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task=SWEEP[1]).delete()
    Policy = apps.get_model("notices", "EscalationPolicy")
    Notice = apps.get_model("notices", "Notice")
    for policy in Policy.objects.filter(name=POLICY):
        if not Notice.objects.filter(step__policy=policy).exists():
            policy.steps.all().delete()
            policy.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("notices", "0001_notices_ladder_delivery_replies"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_ladder, remove_ladder)]
