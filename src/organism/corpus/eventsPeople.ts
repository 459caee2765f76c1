/**
 * Event categories whose subject is a person or a result: decisions on my request, what someone
 * did, exam results, and matches. Original text written for this project. `{obj}` is the
 * scenario's object, `{Person}` its person (capitalised). No outcome uses an emotion word (tested).
 */
import type { EventCategory } from './types.js';

/** A person or panel decides on a document or request of mine. */
export const VERDICT: EventCategory = {
  name: 'verdict',
  subject: '{Person}',
  thing: 'the {obj}',
  positive: {
    happiness: [
      'approved the {obj} on the spot',
      'accepted the {obj} without a single change',
      'praised the {obj} in front of the whole group',
      'signed off the {obj} and added a bonus for me',
      'agreed to every point in the {obj}',
      'gave the {obj} the highest score of the year',
      'called the {obj} the best one they had seen',
      'passed the {obj} to the board with a strong recommendation',
    ],
    surprise: [
      'approved the {obj} a whole month ahead of the deadline',
      'turned the {obj} into a paid project for me out of nowhere',
      'offered me a new role because of the {obj}',
      'sent back the {obj} with a gift voucher clipped to it',
    ],
  },
  neutral: [
    'said the {obj} would be looked at next week',
    'filed the {obj} with the others from this month',
    'asked for a second copy of the {obj}',
    'put the {obj} on the list for the next meeting',
    'confirmed that the {obj} had been received',
    'passed the {obj} to a colleague for a routine check',
    'stamped the {obj} and handed me a receipt',
    'read the {obj} and asked me to wait for a letter',
    'moved the {obj} to the usual review queue',
    'said a decision on the {obj} would come by post',
  ],
  negative: {
    anger: [
      'rejected the {obj} without reading past the first page',
      'took credit for the {obj} in front of everyone',
      'threw out the {obj} and blamed me for the delay',
      'refused the {obj} because of a rule invented that very day',
    ],
    sadness: [
      'turned down the {obj} after months of waiting',
      'said the {obj} was not good enough and closed the file',
      'rejected the {obj} for the third time running',
    ],
    fear: [
      'said the {obj} broke the law and called a lawyer',
      'warned that the {obj} could cost me my job',
      'sent the {obj} to the police for an investigation',
    ],
    disgust: [
      'returned the {obj} covered in coffee stains and grease',
      'approved the {obj} of my rival only after taking a bribe',
      'used the {obj} to mock a colleague behind their back',
    ],
  },
};

/** Someone close does something. */
export const SOMEONE: EventCategory = {
  name: 'someone',
  subject: '{Person}',
  thing: '{person}',
  positive: {
    happiness: [
      'threw me a party with all my old classmates',
      'gave me a warm hug and a handwritten card',
      'invited me to join their trip this summer',
      'helped me carry everything home',
      'cooked my favourite dinner for me',
      'said yes to my invitation straight away',
      'offered to pay for our holiday',
    ],
    surprise: [
      'turned up at my door after ten years away',
      'handed over a new car to me as a gift',
      'showed up with two plane tickets for me',
    ],
  },
  neutral: [
    'sent a short message about the weekend',
    'asked what time we should meet',
    'said they would call back later',
    'passed on the spare keys as agreed',
    'talked about the weather and left',
    'replied with a thumbs up',
    'asked to move our meeting by an hour',
    'came by to borrow a ladder',
    'waved from across the street',
  ],
  negative: {
    anger: [
      'lied to everyone about what I had said',
      'broke a promise for the fourth time',
      'borrowed my car and returned it with a dent',
      'shouted at me in front of everyone',
    ],
    sadness: [
      'moved to another country for good',
      'stopped answering my messages',
      'forgot my birthday this year',
    ],
    fear: [
      'followed me home in the dark',
      'threatened to hurt me if I told anyone',
      'went missing without a word',
    ],
    disgust: [
      'spat on the floor right next to my plate',
      'cheated on their partner and bragged about it',
      'left dirty socks on the kitchen table',
    ],
  },
};

/** The result of an exam or test of mine. */
export const RESULT: EventCategory = {
  name: 'result',
  subject: 'My {obj}',
  thing: 'my {obj}',
  positive: {
    happiness: [
      'came back with the highest mark of the whole class',
      'got a pass with full marks',
      'earned me a place on the advanced course',
      'came back with a distinction',
      'was graded as the best in the year',
      'won a prize from the school board',
    ],
    surprise: [
      'came back with a perfect score although I had guessed half of it',
      'was chosen as the model answer for the whole country',
      'earned me a scholarship that nobody had mentioned',
    ],
  },
  neutral: [
    'came back with an average mark',
    'was graded as a pass',
    'got the same mark as last term',
    'came back with a few notes in the margin',
    'was marked by a second examiner as usual',
    'was returned with the standard feedback sheet',
    'got a middle grade',
    'was logged in the school system',
    'came back on the day it was due',
  ],
  negative: {
    anger: [
      'was failed because the examiner lost two of my pages',
      'was marked down for a mistake that was not there',
      'was given a zero because someone else copied it',
    ],
    sadness: [
      'came back with a fail after months of study',
      'missed the pass mark by a single point',
      'was graded the lowest in the class',
    ],
    fear: [
      'was flagged for cheating and sent to the head of school',
      'came back with a fail that could end my place on the course',
      'was reported to the board as suspicious',
    ],
    disgust: [
      'came back smeared with food from the lunch of the examiner',
      'was failed by an examiner who took money from another student',
      'came back with rude drawings scribbled over every page',
    ],
  },
};

/** A game or contest of our team. */
export const MATCH: EventCategory = {
  name: 'match',
  subject: 'Our {obj}',
  thing: 'our {obj}',
  positive: {
    happiness: [
      'won the final by three points',
      'won the league for the first time',
      'beat the champions in the last minute',
      'got through to the national round',
      'won every game of the season',
    ],
    surprise: [
      'won the title after being ranked last all year',
      'was picked to play at the national stadium',
    ],
  },
  neutral: [
    'played the usual Saturday game',
    'drew with the side from the next town',
    'finished halfway down the table',
    'trained for two hours on the new pitch',
    'changed into the new kit',
    'played the first half in light rain',
    'met at the club at nine',
  ],
  negative: {
    anger: [
      'lost because the referee took money from the other side',
      'was thrown out of the cup over a form the club lost',
      'lost after the other side cheated openly',
    ],
    sadness: [
      'lost the final in the last second',
      'was knocked out in the first round',
      'was relegated after twenty years',
    ],
    fear: [
      'was attacked by rival fans after the game',
      'saw a player collapse on the pitch',
    ],
    disgust: [
      'lost to a side whose captain spat at our players',
      'played on a pitch covered in dog mess',
    ],
  },
};
