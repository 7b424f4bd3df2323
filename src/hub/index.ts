// The Hugging Face Hub: models and datasets by id in Python's cache, and push.
export { resolveModel, loadTokenClassifier, modelChooser, MODEL_NEEDS, type ModelPurpose, type ResolveModelOptions, type ResolvedModelSource, type WeightsKind } from './model.ts';
export { resolveHubDataset, parseCard, PARQUET_REVISION, type HubDatasetFiles, type HubDatasetOptions } from './dataset.ts';
export { pushToHub, filesToPush, type PushOptions, type PushResult } from './push.ts';
export { renderModelCard, cardDataFromDir, type ModelCardData, type CardMetrics } from './card.ts';
export { hubSettings, defaultToken, tokenPath, hfHome, DEFAULT_ENDPOINT, type HubOptions, type HubSettings, type DownloadProgress } from './settings.ts';
export { parseRepoRef, isValidRepoId, type RepoRef, type RepoType } from './repo-id.ts';
export { downloadReporter } from './progress.ts';
