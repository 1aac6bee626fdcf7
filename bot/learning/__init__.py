"""Weekly micro-lessons: the curriculum, enrolment, schedules, quiz and rating, progress and KPIs."""
