"""Notification, part 1 (通报): bulletins written by the system, the principal leader's approval, 清零."""
