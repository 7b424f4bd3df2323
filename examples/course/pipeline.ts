/**
 * The course's last cells (chapter 7, section 2, "Using the fine-tuned model"): the fine-tuned
 * model in a `token-classification` pipeline. Python lines are the comments; see docs/course.md.
 *
 *   node --import tsx examples/course/pipeline.ts           # huggingface-course/bert-finetuned-ner, from the Hub
 *   COURSE_FINETUNED=bert-finetuned-ner node --import tsx examples/course/pipeline.ts   # what trainer.ts saved
 */
import { pipeline } from 'tokentag';

// from transformers import pipeline
//
// # Replace this with your own checkpoint
// model_checkpoint = "huggingface-course/bert-finetuned-ner"
// token_classifier = pipeline(
//     "token-classification", model=model_checkpoint, aggregation_strategy="simple"
// )
// token_classifier("My name is Sylvain and I work at Hugging Face in Brooklyn.")
const model_checkpoint = process.env.COURSE_FINETUNED ?? 'huggingface-course/bert-finetuned-ner';
const token_classifier = await pipeline('token-classification', { model: model_checkpoint, aggregation_strategy: 'simple' });
export const entities = await token_classifier('My name is Sylvain and I work at Hugging Face in Brooklyn.');
console.log(entities);
await token_classifier.dispose();
