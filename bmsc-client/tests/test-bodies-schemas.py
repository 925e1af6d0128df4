#!/usr/bin/env python3
"""Every body the BM-SC client sends validates with xmllint (an independent validator) against
the schemas written from TS 26.346 V16.11.1 (data/schemas): registration 11.4, deregistration
11.5, MSK request 11.6. The bodies of the invented dialect that came before are refused by the
same schemas, so a validation that passes means something."""
import os, subprocess, tempfile, unittest

BUILD = os.environ["MBMS_BUILD_DIR"]
SRC = os.environ["MBMS_SOURCE_DIR"]
SCHEMAS = os.path.join(SRC, "data", "schemas")
BODIES = os.path.join(BUILD, "bmsc-client", "tests", "keymgmt-bodies")


def xmllint(schema, doc):
    return subprocess.run(["xmllint", "--noout", "--nonet", "--schema", os.path.join(SCHEMAS, schema), doc],
                          capture_output=True, text=True, timeout=30)


class Bodies(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        subprocess.run([BODIES, self.tmp.name], check=True, timeout=30)

    def tearDown(self):
        self.tmp.cleanup()

    def check(self, schema, name):
        r = xmllint(schema, os.path.join(self.tmp.name, name))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("validates", r.stderr)

    def test_register(self):
        self.check("SecurityRegistration.xsd", "register.xml")

    def test_deregister(self):
        self.check("SecurityDeregistration.xsd", "deregister.xml")

    def test_msk_request(self):
        self.check("mskRequest.xsd", "msk-request.xml")

    def test_old_dialect_is_refused(self):
        for schema, body in (
                ("SecurityRegistration.xsd",
                 '<mbmsRegister xmlns="urn:3GPP:metadata:2005:MBMS:mbmsRegister"><serviceId>urn:a</serviceId>'
                 '</mbmsRegister>'),
                ("mskRequest.xsd",
                 '<mskRequest xmlns="urn:3GPP:metadata:2005:MBMS:mskRequest"><key><keyDomainID>00f110</keyDomainID>'
                 '<MSKID>00010000</MSKID></key></mskRequest>'),
                ("mskRequest.xsd",  # the right names, hex instead of base64 (MSKID length 4 octets)
                 '<mbmsMSKRequest xmlns="urn:3GPP:metadata:2005:MBMS:mskRequest"><MSK><keyDomainID>APEQ'
                 '</keyDomainID><MSKID>00010000</MSKID></MSK></mbmsMSKRequest>')):
            path = os.path.join(self.tmp.name, "old.xml")
            with open(path, "w") as f:
                f.write(body)
            self.assertNotEqual(xmllint(schema, path).returncode, 0, body)


class Examples(unittest.TestCase):
    """The sample descriptions mbmsd ships validate against the schemas of 11.2.1.1 and 11.3.1.
    USDs are checked against the Release 6 core (USD-Rel-06-schema.xsd): J.1 as printed makes
    r15:supplementaryUnicastAppService mandatory in every deliveryMethod, which none of the
    specification's own examples carries (data/schemas/README.md)."""

    def test_examples_validate(self):
        examples = os.path.join(SRC, "data", "examples")
        for name in sorted(os.listdir(examples)):
            schema = ("security.xsd" if name.endswith(".protection.xml")
                      else "USD-Rel-06-schema.xsd" if name.endswith(".usd.xml") else None)
            if schema is None:
                continue
            r = xmllint(schema, os.path.join(examples, name))
            self.assertEqual(r.returncode, 0, f"{name}: {r.stderr}")


class SpecExamples(unittest.TestCase):
    """The schemas are the specification's: its own well-formed examples validate with them."""

    def test_spec_examples_validate(self):
        examples = os.path.join(SRC, "tests", "data", "spec-examples")
        for schema, name in (("security.xsd", "11.3.2-security-description.xml"),
                             ("mskResponse.xsd", "11.8.2-msk-response.xml"),
                             ("USD-Rel-06-schema.xsd", "11.2.2-usd-1-simple.xml"),
                             ("USD-Rel-06-schema.xsd", "11.2.2-usd-2-fuller.xml")):
            r = xmllint(schema, os.path.join(examples, name))
            self.assertEqual(r.returncode, 0, f"{name}: {r.stderr}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
