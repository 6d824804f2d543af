"""Question bank, test attempts, grading and the course evaluation."""
