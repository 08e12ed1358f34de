import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';

export const K8S_DIR = join(__dirname, '../../k8s');

/** A Kubernetes object as the manifests hold it (what the tests read of it). */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
}

/**
 * The models of kubernetes-models (generated from the Kubernetes 1.27 OpenAPI document, with
 * their JSON-schema validators compiled by ajv), by `apiVersion/kind`. A kind missing here fails
 * the test rather than going unchecked.
 */
const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'batch/v1/Job': Job,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

/** Throws what the Kubernetes schema of the object's kind finds wrong with it. */
export function validateK8sObject(object: K8sObject): void {
  const Model = MODELS[`${object.apiVersion}/${object.kind}`];
  if (!Model) throw new Error(`no schema for ${object.apiVersion} ${object.kind}`);
  new Model(object).validate();
}

export function kustomization(): {
  resources: string[];
  configMapGenerator: { name: string; files: string[] }[];
  secretGenerator: { name: string; files?: string[]; envs?: string[] }[];
} {
  return loadAll(readFileSync(join(K8S_DIR, 'kustomization.yaml'), 'utf8'))[0] as any;
}

/** Every object of the manifests that kustomization.yaml lists, with the file it is in. */
export function manifestObjects(): { file: string; object: K8sObject }[] {
  return kustomization().resources.flatMap((file) =>
    loadAll(readFileSync(join(K8S_DIR, file), 'utf8')).map((object) => ({
      file,
      object: object as K8sObject,
    })),
  );
}
