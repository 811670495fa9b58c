"""F10. blinker and a bound-method receiver whose class function is replaced.

Usage: python blinker_weak_method.py
blinker holds a bound method through ``WeakMethod``: once the class function
is replaced and the old one freed, the receiver is silently dropped (no
error, no call). qtreload connects a receiver that looks the method up by name
and holds its instance weakly, so it runs the new code and dies with the
instance.
"""
import gc

import blinker


class Receiver:
    def handle(self, sender):
        print("old code ran")


signal = blinker.Signal()
receiver = Receiver()
signal.connect(receiver.handle)
Receiver.handle = lambda self, sender: print("new code ran")
gc.collect()
print("receivers after the replace:", len(signal.receivers), "send results:", signal.send("x"))
