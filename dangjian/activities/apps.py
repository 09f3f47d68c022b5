from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "dangjian.activities"
    verbose_name = "组织生活"

    def ready(self):
        # Core's workbench cannot import activities: the reminder block is registered here.
        from dangjian.activities import queries
        from dangjian.core import workbench
        from dangjian.reports import dashboard

        workbench.register_block(queries.workbench_unplanned)
        # Reports cannot import activities (activities imports reports for its indicators).
        dashboard.register_panel(queries.dashboard_compliance)
