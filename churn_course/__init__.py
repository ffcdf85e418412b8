"""What the course notebooks teach with: the live serving panel and the practice quiz.

Kept apart from `grader/` so that teaching widgets and grading never share state.
"""
