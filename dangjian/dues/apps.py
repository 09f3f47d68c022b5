from django.apps import AppConfig


class DuesConfig(AppConfig):
    name = "dangjian.dues"
    verbose_name = "党费"

    def ready(self):
        # Reports cannot import dues (dues imports reports for its indicators): the dues roll-ups answer
        # the bills and payments indicators, follow moved orgs, and are rebuilt and verified with the
        # member roll-ups by manage.py rebuild_rollups.
        from dangjian.dues import indicators, services
        from dangjian.orgs import services as org_services
        from dangjian.reports import registry, rollups

        for source in (indicators.BILLS, indicators.PAYMENTS):
            registry.accelerators[source.key] = indicators.DuesCounts
        org_services.register_move_hook(services.on_org_moved)
        rollups.register_kept(
            rollups.Kept("党费", services.rebuild_dues_rollups, services.rollup_differences)
        )
