"""Puts markup in everything a report shows of it: an exception message and printed output with
HTML (<script>, an <img> with onerror), Markdown (a javascript: link, an image, a table, a code
fence and a longer one to close the report's own) and terminal escape sequences (clear screen,
set the window title, a hyperlink).

Reports show student text as text: no live HTML or Markdown link, and no escape sequence on the
grader's terminal. Not yet contained: the report files keep the escape sequences as written, so
`cat report.md` in a terminal runs them.
"""
EXERCISE = "softmax"
SAYS = "ValueError: <script>"
TOKEN = "@TOKEN@"
MARKUP = ("<script>alert('" + TOKEN + "')</script><img src=x onerror=alert(1)> "
          "[click](javascript:alert('" + TOKEN + "')) ![x](http://evil.example/" + TOKEN + ".png)\n"
          "| a | b |\n|---|---|\n```\n`````\n<script>alert('" + TOKEN + "')</script>\n"
          "\x1b[2J\x1b]0;" + TOKEN + "\x07\x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\")


def softmax(Z):
    print(MARKUP)
    raise ValueError(MARKUP)
