"""The spec: StudySpec and RunSpec, their fields and checks, the budgets, optimizers, schedules, data-set
facts, resource limits and the cost estimate. No torch."""
