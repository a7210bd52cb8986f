"""What students get beside their notebook: self-checks (and the MNIST loader).

    from studentkit import check, use_notation
"""

from studentkit.selfcheck import check, use_notation
