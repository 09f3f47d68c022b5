from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "dangjian.reports"
    verbose_name = "统计分析"

    def ready(self):
        # Members cannot import reports: the member services tell the roll-ups which orgs changed.
        from dangjian.members import services as member_services
        from dangjian.reports import registry, rollups

        member_services.register_change_hook(rollups.on_members_changed)
        registry.accelerators["members"] = rollups
