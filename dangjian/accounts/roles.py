"""The roles a user can hold, and what each may do.

Party roles are held at an org and reach its subtree (a member only their own org).
System roles are held without an org and never see party data: separation of duties
between the one who manages accounts, the one who grants roles and the one who reads the log.
"""

from django.db import models


class Role(models.TextChoices):
    DEPARTMENT_ADMIN = "department_admin", "组织部管理员"
    ORG_ADMIN = "org_admin", "党务工作者"
    SECRETARY = "secretary", "书记"
    MEMBER = "member", "党员"
    SYSTEM_ADMIN = "system_admin", "系统管理员"
    SECURITY_ADMIN = "security_admin", "安全管理员"
    AUDIT_ADMIN = "audit_admin", "审计管理员"


PARTY_ROLES = frozenset({Role.DEPARTMENT_ADMIN, Role.ORG_ADMIN, Role.SECRETARY, Role.MEMBER})
SYSTEM_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})

# Roles that may change records in their subtree (create, rename, move within, dissolve, import).
CHANGING_ROLES = frozenset({Role.DEPARTMENT_ADMIN, Role.ORG_ADMIN, Role.SECRETARY})
# Roles that see the whole subtree below their org; a member sees only their own org.
SUBTREE_ROLES = CHANGING_ROLES
# Roles that may see personal data unmasked (used from the member-records module on).
UNMASKING_ROLES = frozenset({Role.DEPARTMENT_ADMIN})
