import squall


class CrashBolt(squall.Bolt):
    def initialize(self, conf, context):
        raise RuntimeError("crash_bolt cannot start")

    def process(self, tup):
        pass


if __name__ == "__main__":
    CrashBolt().run()
