"""infra/publish_web.py against AWS emulated in-process by moto (`pip install moto`).

    python3 -m unittest discover -s infra/tests
"""

from __future__ import annotations

import io
import json
import os
import sys
import tempfile
import unittest
from contextlib import redirect_stderr
from pathlib import Path

import boto3
from moto import mock_aws

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import publish_web  # noqa: E402

REGION = "us-east-1"
# moto answers any credentials; these keep boto3 from looking for real ones.
for _name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
    os.environ[_name] = "testing"
OUTPUTS = {
    "WebUrl": "https://d111111abcdef8.cloudfront.net",
    "ApiUrl": "https://abc123.execute-api.us-east-1.amazonaws.com",
    "CognitoIssuer": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example",
    "UserPoolClientId": "client123",
    "CognitoDomain": "https://team-example.auth.us-east-1.amazoncognito.com",
}


def stack_template(outputs: dict[str, str]) -> str:
    """A stack with the web bucket and the outputs the real template gives."""
    template_outputs = {
        key: {"Value": value} for key, value in outputs.items()
    }
    template_outputs["WebBucketName"] = {"Value": {"Ref": "WebBucket"}}
    return json.dumps(
        {
            "Resources": {"WebBucket": {"Type": "AWS::S3::Bucket"}},
            "Outputs": template_outputs,
        }
    )


def distribution(cloudfront) -> str:
    config = {
        "CallerReference": "team-rs-test",
        "Comment": "web UI",
        "Enabled": True,
        "Origins": {
            "Quantity": 1,
            "Items": [
                {
                    "Id": "web",
                    "DomainName": "web.s3.amazonaws.com",
                    "S3OriginConfig": {"OriginAccessIdentity": ""},
                }
            ],
        },
        "DefaultCacheBehavior": {
            "TargetOriginId": "web",
            "ViewerProtocolPolicy": "redirect-to-https",
            "MinTTL": 0,
            "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
        },
    }
    return cloudfront.create_distribution(DistributionConfig=config)["Distribution"]["Id"]


@mock_aws
class PublishWebTest(unittest.TestCase):
    def setUp(self) -> None:
        self.cloudformation = boto3.client("cloudformation", region_name=REGION)
        self.s3 = boto3.client("s3", region_name=REGION)
        self.cloudfront = boto3.client("cloudfront", region_name=REGION)
        outputs = dict(OUTPUTS, WebDistributionId=distribution(self.cloudfront))
        self.distribution_id = outputs["WebDistributionId"]
        self.cloudformation.create_stack(StackName="team-rs", TemplateBody=stack_template(outputs))
        self.outputs = publish_web.stack_outputs(self.cloudformation, "team-rs")
        self.bucket = self.outputs["WebBucketName"]
        self.dist = Path(tempfile.mkdtemp())
        (self.dist / "assets").mkdir()
        (self.dist / "index.html").write_text("<!doctype html><title>TEAM-rs</title>")
        (self.dist / "assets" / "index-abc123.js").write_text("console.log('team')")
        (self.dist / "config.json").write_text('{"mode": "local"}')

    def head(self, key: str) -> dict:
        return self.s3.head_object(Bucket=self.bucket, Key=key)

    def test_the_build_and_a_cognito_config_json_are_published_and_the_cdn_invalidated(self) -> None:
        # GIVEN an old build's asset in the bucket
        self.s3.put_object(Bucket=self.bucket, Key="assets/index-old.js", Body=b"old")

        # WHEN the new build is published
        counts = publish_web.publish(self.s3, self.cloudfront, self.outputs, self.dist)

        # THEN every file is there with its type and caching, the old asset is gone,
        keys = publish_web.existing_keys(self.s3, self.bucket)
        self.assertEqual(keys, {"index.html", "assets/index-abc123.js", "config.json"})
        self.assertEqual(counts, {"uploaded": 3, "deleted": 1})
        self.assertEqual(self.head("index.html")["ContentType"], "text/html")
        self.assertEqual(self.head("index.html")["CacheControl"], publish_web.NO_CACHE)
        asset = self.head("assets/index-abc123.js")
        self.assertIn("javascript", asset["ContentType"])
        self.assertEqual(asset["CacheControl"], publish_web.IMMUTABLE)
        # config.json is the Cognito one built from the outputs, not the local twin's,
        body = self.s3.get_object(Bucket=self.bucket, Key="config.json")["Body"].read()
        self.assertEqual(
            json.loads(body),
            {
                "mode": "cognito",
                "issuer": OUTPUTS["CognitoIssuer"],
                "clientId": OUTPUTS["UserPoolClientId"],
                "apiUrl": OUTPUTS["ApiUrl"],
                "logoutUrl": OUTPUTS["CognitoDomain"] + "/logout",
            },
        )
        self.assertEqual(self.head("config.json")["CacheControl"], publish_web.NO_CACHE)
        # and CloudFront got an invalidation of everything.
        invalidations = self.cloudfront.list_invalidations(DistributionId=self.distribution_id)
        self.assertEqual(invalidations["InvalidationList"]["Quantity"], 1)

    def test_without_a_build_nothing_is_uploaded_and_the_error_says_to_build(self) -> None:
        (self.dist / "index.html").unlink()
        with self.assertRaisesRegex(publish_web.PublishError, "make web"):
            publish_web.publish(self.s3, self.cloudfront, self.outputs, self.dist)
        self.assertEqual(publish_web.existing_keys(self.s3, self.bucket), set())

    def test_a_stack_without_the_web_outputs_is_refused_by_name(self) -> None:
        self.cloudformation.create_stack(
            StackName="other",
            TemplateBody=json.dumps({"Resources": {"B": {"Type": "AWS::S3::Bucket"}}}),
        )
        with self.assertRaisesRegex(publish_web.PublishError, "WebBucketName"):
            publish_web.stack_outputs(self.cloudformation, "other")

    def test_an_unknown_stack_exits_2_with_a_message(self) -> None:
        stderr = io.StringIO()
        with redirect_stderr(stderr):
            code = publish_web.main(["--stack", "missing", "--region", REGION, "--dist", str(self.dist)])
        self.assertEqual(code, 2)
        self.assertIn("'missing'", stderr.getvalue())


if __name__ == "__main__":
    unittest.main()
