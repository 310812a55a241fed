"""storm-starter's splitsentence.py, unchanged: written against Apache Storm's storm.py,
which squall's storm.py runs."""

import storm


class SplitSentenceBolt(storm.BasicBolt):
    def process(self, tup):
        words = tup.values[0].split(" ")
        for word in words:
            storm.emit([word])


SplitSentenceBolt().run()
