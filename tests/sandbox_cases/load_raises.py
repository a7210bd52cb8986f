print("loading cell 1")
def defined_before_the_error(): return 0
x = 1 / 0
def defined_after_the_error(): return 0
