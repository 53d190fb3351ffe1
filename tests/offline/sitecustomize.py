"""Loaded by Python at start-up when this folder is on PYTHONPATH (`make test`): installs the offline guard
(course_offline_guard.py) in pytest and in every kernel, when COURSE_OFFLINE=1."""
import course_offline_guard  # noqa: F401
