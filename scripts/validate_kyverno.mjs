// Validates Kyverno policy objects against the Kyverno CRD schemas: the CEL policies
// (policies.kyverno.io/v1) and the image-verification ClusterPolicy (kyverno.io/v1).
//
// Reads a JSON array of objects on stdin; validates each with the models of the npm package
// @kubernetes-models/kyverno 2.0.0 (generated from Kyverno's CRD OpenAPI schemas; a model's
// validate() throws on a schema error). Prints one line per invalid object, naming its kind
// and name, and exits 1 if any is invalid (2 on unusable input). Used by
// tests/governance/test_policy_schema.py and test_image_verification.py.
import { ClusterPolicy } from "@kubernetes-models/kyverno/kyverno.io/v1/ClusterPolicy";
import { MutatingPolicy } from "@kubernetes-models/kyverno/policies.kyverno.io/v1/MutatingPolicy";
import { ValidatingPolicy } from "@kubernetes-models/kyverno/policies.kyverno.io/v1/ValidatingPolicy";

const MODELS = {
  "policies.kyverno.io/v1": { MutatingPolicy, ValidatingPolicy },
  "kyverno.io/v1": { ClusterPolicy },
};

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
let objects;
try {
  objects = JSON.parse(Buffer.concat(chunks).toString("utf8"));
} catch (error) {
  console.error(`stdin is not JSON: ${error.message}`);
  process.exit(2);
}
if (!Array.isArray(objects)) {
  console.error("stdin must hold a JSON array of objects");
  process.exit(2);
}

let failures = 0;
for (const object of objects) {
  const label = `${object?.kind}/${object?.metadata?.name}`;
  const Model = MODELS[object?.apiVersion]?.[object?.kind];
  if (!Model) {
    console.log(`${label}: no schema for apiVersion ${object?.apiVersion} kind ${object?.kind}`);
    failures += 1;
    continue;
  }
  try {
    new Model(object).validate();
  } catch (error) {
    console.log(`${label}: ${error.message}`);
    failures += 1;
  }
}
if (failures) {
  console.log(`${failures} of ${objects.length} objects failed the Kyverno CRD schema`);
  process.exit(1);
}
console.log(`${objects.length} objects pass the Kyverno CRD schema`);
