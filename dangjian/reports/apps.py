from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "dangjian.reports"
    verbose_name = "统计分析"

    def ready(self):
        # Members cannot import reports: the member services tell the roll-ups which orgs changed.
        from dangjian.members import services as member_services
        from dangjian.orgs import services as org_services
        from dangjian.reports import registry, rollups

        member_services.register_change_hook(rollups.on_members_changed)
        # Orgs cannot import reports either: a moved subtree's totals follow it to its new ancestors.
        org_services.register_move_hook(rollups.on_org_moved)
        # … and the org counts follow every founding, change, dissolution, merge and move of an org.
        org_services.register_change_hook(rollups.on_org_changed)
        org_services.register_move_hook(rollups.on_org_moved_orgs)
        registry.accelerators["members"] = rollups
        registry.accelerators["orgs"] = rollups.OrgCounts
