"""Splits each sentence into words (a squall Bolt)."""

import squall


class SplitSentenceBolt(squall.Bolt):
    outputs = ["word"]

    def process(self, tup):
        for word in tup.values[0].split():
            self.emit([word])


if __name__ == "__main__":
    SplitSentenceBolt().run()
