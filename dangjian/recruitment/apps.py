from django.apps import AppConfig


class RecruitmentConfig(AppConfig):
    name = "dangjian.recruitment"
    verbose_name = "发展党员"

    def ready(self):
        # Reports cannot import recruitment (recruitment imports reports for its indicators): the
        # development roll-ups answer the people, case, step and vote indicators, follow member changes, follow moved orgs, and are
        # rebuilt and verified with the member roll-ups by manage.py rebuild_rollups.
        from dangjian.members import services as member_services
        from dangjian.orgs import services as org_services
        from dangjian.recruitment import indicators, services
        from dangjian.reports import registry, rollups

        registry.accelerators[indicators.PEOPLE.key] = indicators.PeopleCounts
        registry.accelerators[indicators.CASES.key] = indicators.CaseCounts
        for source in (indicators.STEPS, indicators.VOTES):
            registry.accelerators[source.key] = indicators.MonthCounts
        org_services.register_move_hook(services.on_org_moved)
        member_services.register_change_hook(services.recount_people)
        rollups.register_kept(
            rollups.Kept("发展党员", services.rebuild_recruitment_rollups, services.rollup_differences)
        )
