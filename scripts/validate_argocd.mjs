// Validates Argo CD objects (Application, ApplicationSet, AppProject of argoproj.io/v1alpha1)
// against Argo CD's CRD schemas, offline: what a GitOps delivery renders into its tree
// (gitops/<env>/applicationsets/) and the bootstrap its Kubernetes layer applies.
//
// Input: a JSON array of objects (or one object) on stdin, or in each file named on the
// command line. Validates each with the models of the npm package @kubernetes-models/argo-cd
// 4.0.0 (generated from Argo CD's CRD OpenAPI schemas; a model's validate() throws a
// ValidationError listing each problem's path). These models do not reject unknown fields:
// tests/gitops pins the exact keys the renderer emits. Prints one line per problem, naming
// the source, the object's kind and name and the path in it; exits 1 if any object is
// invalid (2 on unusable input). Used by tests/gitops/test_tree.py.
import { readFile } from "node:fs/promises";

import { AppProject } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/AppProject";
import { Application } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application";
import { ApplicationSet } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/ApplicationSet";

const MODELS = {
  "argoproj.io/v1alpha1": { AppProject, Application, ApplicationSet },
};

async function stdinText() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

// [source, text] for stdin or each file argument.
const files = process.argv.slice(2);
const inputs = [];
try {
  if (files.length === 0) inputs.push(["stdin", await stdinText()]);
  for (const file of files) inputs.push([file, await readFile(file, "utf8")]);
} catch (error) {
  console.error(`cannot read the input: ${error.message}`);
  process.exit(2);
}

const documents = [];
for (const [source, text] of inputs) {
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    console.error(`${source}: not JSON: ${error.message}`);
    process.exit(2);
  }
  const objects = Array.isArray(parsed) ? parsed : [parsed];
  for (const object of objects) {
    if (object === null || typeof object !== "object" || Array.isArray(object)) {
      console.error(`${source}: each document must be a JSON object`);
      process.exit(2);
    }
    documents.push([source, object]);
  }
}

let failures = 0;
for (const [source, object] of documents) {
  const label = `${source}: ${object.kind}/${object.metadata?.name}`;
  const Model = MODELS[object.apiVersion]?.[object.kind];
  if (!Model) {
    console.log(`${label}: no schema for apiVersion ${object.apiVersion} kind ${object.kind}`);
    failures += 1;
    continue;
  }
  try {
    new Model(object).validate();
  } catch (error) {
    const problems = Array.isArray(error.errors) && error.errors.length
      ? error.errors.map((e) => `${e.instancePath || "/"}: ${e.message}`)
      : [error.message];
    for (const problem of problems) console.log(`${label}: ${problem}`);
    failures += 1;
  }
}
if (failures) {
  console.log(`${failures} of ${documents.length} objects failed the Argo CD CRD schema`);
  process.exit(1);
}
console.log(`${documents.length} objects pass the Argo CD CRD schema`);
