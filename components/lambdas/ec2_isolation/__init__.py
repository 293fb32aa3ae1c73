"""Lambda package: isolate an EC2 instance named by a GuardDuty finding (boto3 only).

Deployed as the folder ``ec2_isolation/`` at the root of the zip, handler
``ec2_isolation.handler.handler``; modules import each other relatively, so the same code
runs in Lambda, in tests and in the drill.
"""
