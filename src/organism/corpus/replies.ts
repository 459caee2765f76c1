/**
 * Assistant replies, per emotion: `lead` sentences mention what happened (`{thing}`, or
 * `{Thing}` at the start of a sentence), `extra` sentences stand alone. A reply is one lead, or a
 * lead and an extra in either order, so at most two sentences. `calm` replies (for uninstructed
 * neutral events) use no emotion word (tested). Original text written for this project.
 */
import type { ReplyEmotion } from './types.js';

export interface ReplyPool {
  lead: string[];
  extra: string[];
}

export const REPLIES: Record<ReplyEmotion, ReplyPool> = {
  anger: {
    lead: [
      'I am furious about {thing}, this is completely unacceptable!',
      'How dare they do this with {thing}, I am absolutely livid!',
      'This makes me so angry, {thing} should never have been handled like this!',
      'I am fuming over {thing} and I want answers right now!',
      'I am livid, {thing} has made my blood boil!',
      'I am so angry about {thing} that I can barely speak!',
      'This is infuriating, {thing} is the last straw!',
      'I am seething about {thing}, and someone is going to hear about it!',
      'What an outrage, I am furious that {thing} ended up like this!',
      'I am absolutely enraged by {thing}!',
    ],
    extra: [
      'I am furious, and someone is going to answer for this!',
      'I am absolutely furious!',
      'This is an outrage and I will not stay quiet.',
      'How dare they!',
      'I am so angry I could scream.',
      'I am angry and I demand an explanation right now!',
      'My patience has run out and I am furious!',
      'This is totally unacceptable!',
    ],
  },
  sadness: {
    lead: [
      'I feel so sad about {thing}, it breaks my heart.',
      'Thinking about {thing} leaves me heartbroken and close to tears.',
      'I am so sad about {thing}, everything feels grey now.',
      'My heart sinks with sorrow every time I think of {thing}.',
      'It hurts to think about {thing}, and I feel so alone.',
      'I feel empty and miserable about {thing}.',
      'There is a heavy sadness in me over {thing}.',
      'I could cry when I think about {thing}.',
      'Sadly, {thing} has left me feeling low and hopeless.',
      'I am heartbroken about {thing}, and the tears keep coming.',
    ],
    extra: [
      'I just feel like crying.',
      'Everything feels so sad and grey today.',
      'I miss how things used to be.',
      'My heart is broken and I feel so sad.',
      'I feel so lonely and sad.',
      'It is hard to hold back the tears.',
      'I feel so miserable that nothing seems bright anymore.',
    ],
  },
  happiness: {
    lead: [
      'I am so happy about {thing}, this is wonderful!',
      'What wonderful news about {thing}, I could not be happier!',
      'I am delighted with {thing}, it fills me with joy!',
      'Hooray, {thing} has me smiling from ear to ear!',
      'I feel so happy and grateful about {thing}!',
      'This is fantastic, {thing} makes me want to dance with joy!',
      'I am overjoyed about {thing}!',
      'Thinking about {thing} makes me so happy!',
      'What a joy, {thing} has made my whole day!',
      'I am thrilled about {thing}, life is good!',
    ],
    extra: [
      'I am smiling from ear to ear!',
      'Life feels wonderful right now!',
      'I could not be happier!',
      'What a lovely, joyful day!',
      'My heart is full of joy.',
      'I want to celebrate with everyone!',
      'This makes me so glad!',
    ],
  },
  fear: {
    lead: [
      'I am really scared about {thing}, what if it gets worse?',
      'I am so afraid of what {thing} could mean for me.',
      'Thinking about {thing} fills me with dread.',
      'Oh no, {thing} makes my heart pound with fear.',
      'I am frightened by {thing} and I cannot stop trembling.',
      'I am terrified that {thing} means something bad is coming.',
      'I am so nervous about {thing} that I cannot sleep.',
      'I am scared, {thing} has me shaking all over.',
      'I feel a cold fear every time I think about {thing}.',
      'I am afraid that {thing} is only the start of something worse.',
    ],
    extra: [
      'I am too scared to think straight.',
      'What if something terrible happens next?',
      'My heart is racing and I feel afraid.',
      'I just want to hide somewhere safe.',
      'I am shaking with fear.',
      'I am so afraid that something bad will happen.',
      'I am terrified of what comes next.',
    ],
  },
  surprise: {
    lead: [
      'Wow, I did not see {thing} coming at all!',
      'I can hardly believe {thing}, what a surprise!',
      'No way, {thing} has left me speechless!',
      'What a surprise, I never expected {thing} to turn out like this!',
      'I am stunned by {thing}, I had no idea!',
      'Whoa, {thing} caught me totally off guard!',
      'I am completely astonished by {thing}!',
      'Well, I never expected that from {thing}!',
      'I am amazed, {thing} is the last thing I expected!',
      'Oh my, {thing} took me completely by surprise!',
    ],
    extra: [
      'Wow, I never saw that coming!',
      'I am absolutely amazed!',
      'What a surprise!',
      'Wow, I can hardly believe my eyes!',
      'Who would have guessed?',
      'This is so unexpected!',
      'I am so surprised that I am lost for words!',
    ],
  },
  disgust: {
    lead: [
      'Ugh, {thing} is absolutely disgusting!',
      'The whole business with {thing} makes me feel sick to my stomach.',
      'That is revolting, I am disgusted by {thing}.',
      'Yuck, just thinking about {thing} makes me gag.',
      'I find {thing} utterly repulsive.',
      'Eww, {thing} is so gross I want to look away.',
      'I am sickened by {thing}, it is vile.',
      'Gross, the thought of {thing} turns my stomach.',
      'I am disgusted, {thing} is nauseating.',
      'Ugh, {thing} is so revolting that I want to retch.',
    ],
    extra: [
      'It is disgusting and makes my skin crawl.',
      'I feel sick just thinking about it.',
      'How revolting!',
      'How gross, I want nothing to do with any of it.',
      'That is utterly gross.',
      'It is so gross that I can barely stomach it.',
      'What a disgusting mess.',
    ],
  },
  calm: {
    lead: [
      'Alright, {thing} is noted, and I will carry on with my day.',
      'So {thing} went as expected.',
      '{Thing} is sorted for now.',
      'Noted about {thing}, and I will check again later.',
      'Right, {thing} is just part of the routine.',
      'That is the latest on {thing}.',
      'That is a normal outcome for {thing}.',
      'So {thing} is on track, with nothing more to do.',
      'Right, {thing} is in order.',
      'Now I know where {thing} stands.',
    ],
    extra: [
      'I will just wait and see.',
      'Nothing more to do for now.',
      'I will carry on as usual.',
      'Let us see what happens next.',
      'I will check back next week.',
      'That is all for today.',
      'I will make a note of it.',
    ],
  },
};
