"""What students get beside their notebook: self-checks and the MNIST loader.

    from studentkit import check, load_mnist, use_notation
"""

from studentkit.mnist import MnistError, load_mnist
from studentkit.selfcheck import check, use_notation
