"""Organizational life and education: 三会一课 and every other activity, attendance, check-in, study hours and compliance."""
