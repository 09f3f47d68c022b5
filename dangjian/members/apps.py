from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "dangjian.members"
    verbose_name = "党员管理"

    def ready(self):
        # The org module cannot import members (members depends on orgs): it asks through these hooks.
        from dangjian.members import services
        from dangjian.orgs import rules as org_rules
        from dangjian.orgs import services as org_services

        org_rules.register_member_counts(services.member_counts)
        org_services.register_dissolve_check(services.members_left_in)
        org_services.register_merge_hook(services.move_members_on_merge)
