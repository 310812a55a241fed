from squall.dsl import JavaSpout, ShellBolt, Topology


class MissingScript(Topology):
    words = JavaSpout.spec(full_class_name="org.apache.storm.testing.TestWordSpout")
    split = ShellBolt.spec(command="python3", script="no_such_script.py", outputs=["word"],
                           inputs=[words])
