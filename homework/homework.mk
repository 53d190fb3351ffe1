# Homework targets (nbgrader). Included by the course Makefile; run from the repository root.
# Each runs nbgrader in a temporary course directory, so no gradebook or submission lands in the repo.
.PHONY: homework grade student-release

## Regenerate the student versions homework/release/<hw>/ from homework/source/<hw>/ (commit the result).
homework: venv
	$(BIN)/python homework/grading.py release

## Autograde one notebook and print points per question: make grade HW=hw1 SUB=path/to/notebook.ipynb
grade: venv
	@test -n "$(HW)" -a -n "$(SUB)" || { echo "usage: make grade HW=<hw1|hw2|full name> SUB=<notebook.ipynb>"; exit 2; }
	$(BIN)/python homework/grading.py grade "$(HW)" "$(SUB)"

## Write a student copy of the course (lectures, student homework, course_utils, no solutions): make student-release DEST=<dir>
student-release: venv
	@test -n "$(DEST)" || { echo "usage: make student-release DEST=<new directory>"; exit 2; }
	$(BIN)/python homework/grading.py student-release "$(DEST)"
