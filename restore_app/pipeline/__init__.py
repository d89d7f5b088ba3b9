"""The use cases over files: restore or detect one scan, a folder of them (here
or on a Ray cluster), the jobs the window's worker runs, and replaying a
record. Between the application (window, command line) and the models."""
