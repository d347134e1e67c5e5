"""Peer: containing Lambda functions one call after another, as a runbook script would.

Usage: contain_sequential.py ENDPOINT_URL [LIMIT]

For every function in every enabled region (the first LIMIT only, when given): read its
reserved concurrency, save its configuration, policy, tags and code package, then throttle it
(reserved concurrency 0) — the same calls firebreak's contain-functions makes, one at a time.
Throttled calls are retried by botocore's standard retry mode.
"""
import sys
import urllib.request

import boto3
from botocore.config import Config

ENDPOINT = sys.argv[1]
LIMIT = int(sys.argv[2]) if len(sys.argv) > 2 else None
SESSION = boto3.session.Session()
CONFIG = Config(retries={"mode": "standard", "max_attempts": 10})


def client(service, region="us-east-1"):
    return SESSION.client(service, endpoint_url=ENDPOINT, region_name=region, config=CONFIG)


def evidence(lam, name):
    function = lam.get_function(FunctionName=name)
    try:
        lam.get_policy(FunctionName=name)
    except lam.exceptions.ResourceNotFoundException:
        pass
    lam.list_tags(Resource=function["Configuration"]["FunctionArn"])
    try:
        urllib.request.urlopen(function["Code"]["Location"], timeout=5).read()
    except (OSError, KeyError, ValueError):
        pass  # as firebreak: a code package that cannot be downloaded is noted, not fatal


def main():
    regions = [r["RegionName"] for r in client("ec2").describe_regions(AllRegions=True)["Regions"]
               if r["OptInStatus"] != "not-opted-in"]
    done = 0
    for region in regions:
        lam = client("lambda", region)
        for page in lam.get_paginator("list_functions").paginate():
            for function in page["Functions"]:
                if LIMIT is not None and done >= LIMIT:
                    break
                name = function["FunctionName"]
                lam.get_function_concurrency(FunctionName=name)
                evidence(lam, name)
                lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
                done += 1
    print(f"contained {done} functions in {len(regions)} regions")


main()
