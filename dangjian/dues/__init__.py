"""Dues (党费): standards, bases, monthly bills, payments, arrears, remittance and allocations."""
