"""What the user gave that the toolkit cannot work with, in the library's own terms.

An `InputError` may name the `setting` to change, as the library's arguments and task options
name it (`time_col`); the message speaks of it in words, and each front end says how its users
give that setting (the CLI adds its option, `--time-col`).
"""


class InputError(ValueError):
    """A file or a value of a setting the toolkit cannot work with; `setting` names what to change."""

    def __init__(self, message, setting=None):
        super().__init__(message)
        self.setting = setting
