from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "dangjian.activities"
    verbose_name = "组织生活"

    def ready(self):
        # Core's workbench cannot import activities: the reminder block is registered here.
        from dangjian.activities import indicators, queries, services
        from dangjian.core import workbench
        from dangjian.orgs import services as org_services
        from dangjian.reports import dashboard, registry, rollups

        workbench.register_block(queries.workbench_unplanned)
        # Reports cannot import activities (activities imports reports for its indicators).
        dashboard.register_panel(queries.dashboard_compliance)
        # The attendance roll-ups answer the 人次 and 学时 indicators, follow moved orgs, and are rebuilt
        # and verified with the member roll-ups by manage.py rebuild_rollups.
        # The held roll-ups answer the 开展活动 indicators (by kind and category) the same way.
        registry.accelerators[indicators.ATTENDANCE.key] = indicators.AttendanceCounts
        registry.accelerators[indicators.ACTIVITIES.key] = indicators.HeldCounts
        org_services.register_move_hook(services.on_org_moved)
        rollups.register_kept(
            rollups.Kept("组织生活出勤", services.rebuild_attendance_rollups, indicators.rollup_differences)
        )
        rollups.register_kept(
            rollups.Kept("活动开展", services.rebuild_held_rollups, services.held_differences)
        )
