/**
 * Event categories whose subject is a thing, a plan, an animal or the weather. Original text
 * written for this project. `{obj}` is the scenario's object. No outcome uses an emotion word
 * (tested).
 */
import type { EventCategory } from './types.js';

/** Something ordered, sent or carried arrives. */
export const DELIVERY: EventCategory = {
  name: 'delivery',
  subject: 'The {obj}',
  thing: 'the {obj}',
  positive: {
    happiness: [
      'arrived a day early and in perfect condition',
      'came with a second one for free',
      'fit perfectly and looked even better than the photos',
      'arrived with a discount code for the next order',
      'turned out to be the upgraded model at the same price',
      'was exactly what I needed from the moment I unpacked it',
    ],
    surprise: [
      'arrived three weeks early with a handwritten note',
      'came in a box with a gift from the shop owner',
      'turned out to be signed by its designer',
    ],
  },
  neutral: [
    'arrived on the scheduled day',
    'was left with the neighbour as usual',
    'came in a plain cardboard box',
    'arrived in the standard packaging',
    'was delivered at noon as planned',
    'came with the usual paper receipt',
    'was placed in the parcel locker down the street',
    'matched the description on the website',
    'arrived in two separate boxes',
  ],
  negative: {
    anger: [
      'arrived broken and the shop refused a refund',
      'was charged twice and never arrived',
      'was sent to the wrong address for the third time',
      'turned out to be a cheap copy of the real one',
    ],
    sadness: [
      'was lost in the post for good',
      'arrived smashed into small pieces',
      'was stolen from the doorstep before I got home',
    ],
    fear: [
      'arrived in a box that was ticking loudly',
      'came with a note saying someone knew where I live',
      'was delivered by a man who then tried to force his way in',
    ],
    disgust: [
      'arrived soaked in something that smelled like sour milk',
      'came covered in mould and dead insects',
      'arrived with used tissues stuffed inside',
    ],
  },
};

/** A trip, booking or event goes ahead (or not). */
export const PLAN: EventCategory = {
  name: 'plan',
  subject: 'The {obj}',
  thing: 'the {obj}',
  positive: {
    happiness: [
      'went ahead with an upgrade to the best seats',
      'was extended by two extra days at no cost',
      'went perfectly from start to finish',
      'ended with a free dinner for everyone',
      'got moved to a nicer venue by the sea',
      'went ahead in bright sunshine',
    ],
    surprise: [
      'turned out to include a meeting with the star of the show',
      'was paid for in full by a stranger',
      'ended with fireworks that nobody had planned',
    ],
  },
  neutral: [
    'went ahead as planned',
    'started at the time on the ticket',
    'was moved to the same time next week',
    'followed the usual schedule',
    'left from the second platform as listed',
    'began after a short welcome speech',
    'ran for the planned two hours',
    'was held in the same hall as last year',
    'finished at six as expected',
  ],
  negative: {
    anger: [
      'was cancelled an hour before the start with no refund',
      'was overbooked and they gave my place away',
      'was cut short because the staff went home early',
    ],
    sadness: [
      'was cancelled for good',
      'went ahead without me because I was left off the list',
      'was called off after months of planning',
    ],
    fear: [
      'was stopped when a fire broke out near the exit',
      'ended with a crash on the motorway',
      'was evacuated after a gas leak',
    ],
    disgust: [
      'took place in a room full of rats and rotting food',
      'ended with the toilets overflowing onto the floor',
      'was held in a hall that smelled of sewage',
    ],
  },
};

/** A bill, payment or statement. */
export const BILL: EventCategory = {
  name: 'bill',
  subject: 'The {obj}',
  thing: 'the {obj}',
  positive: {
    happiness: [
      'came to half of the usual amount',
      'was paid in full by my employer',
      'included a refund for the last three months',
      'was cancelled as a goodwill gesture',
      'came with a discount for loyal customers',
    ],
    surprise: [
      'turned out to be zero because of an old credit',
      'came with a cheque for two hundred pounds',
      'was cleared by a charity draw I never entered',
    ],
  },
  neutral: [
    'came to the usual amount',
    'was taken from my account on the first of the month',
    'arrived by email as always',
    'matched the amount on the quote',
    'listed the same charges as last month',
    'was paid by direct debit',
    'came with a standard letter',
    'was split into two equal payments',
    'showed the regular monthly fee',
  ],
  negative: {
    anger: [
      'was double the quoted amount with hidden fees',
      'charged me for a service I had cancelled a year ago',
      'was taken twice and the bank will not return it',
    ],
    sadness: [
      'wiped out all the savings I had for the holidays',
      'was too high to pay, so I had to sell my bike',
      'took the last of my money for the month',
    ],
    fear: [
      'came with a final warning from a debt collector',
      'was so high that I could lose the flat',
      'came with a court date for missed payments',
    ],
    disgust: [
      'turned out to fund a company that dumps waste in rivers',
      'was sent inside an envelope full of cigarette ash',
    ],
  },
};

/** A medical test or check-up. */
export const CHECKUP: EventCategory = {
  name: 'checkup',
  subject: 'The {obj}',
  thing: 'the {obj}',
  positive: {
    happiness: [
      'showed that everything had healed',
      'came back completely clear',
      'showed I am in the best shape in years',
      'meant I could stop the treatment',
      'showed the problem had gone for good',
    ],
    surprise: [
      'showed the old injury had vanished without any treatment',
      'found that I never had the condition at all',
    ],
  },
  neutral: [
    'showed no change since last time',
    'was sent to the lab as usual',
    'took about twenty minutes',
    'was booked in for a routine follow-up',
    'gave the same numbers as last year',
    'was done by the nurse on duty',
    'was written into my file',
    'was repeated once to check the numbers',
  ],
  negative: {
    anger: [
      'was mixed up with the results of a stranger and nobody checked',
      'was lost by the clinic for the second time',
      'was cancelled because the staff forgot to book it',
    ],
    sadness: [
      'showed that my eyesight is getting worse',
      'showed that the treatment had failed',
      'meant I have to give up running',
    ],
    fear: [
      'showed a growth that needs surgery',
      'found a problem with my heart',
      'showed something the doctor would not explain',
    ],
    disgust: [
      'was done with a needle that had been used before',
      'took place in a room with blood on the floor',
      'was done by a nurse who never washed her hands',
    ],
  },
};

/** A pet or other animal. */
export const ANIMAL: EventCategory = {
  name: 'animal',
  subject: 'The {obj}',
  thing: 'the {obj}',
  positive: {
    happiness: [
      'came home safe and sound',
      'learned to sit on command',
      'made a full recovery',
      'won first prize at the show',
      'curled up on my lap for the whole evening',
    ],
    surprise: [
      'found its way back after a month',
      'turned out to be a rare breed worth a fortune',
      'had four healthy babies overnight',
    ],
  },
  neutral: [
    'slept in its basket all afternoon',
    'ate its usual bowl of food',
    'got its yearly check at the vet',
    'sat by the window for an hour',
    'had its nails trimmed',
    'went for the usual walk around the block',
    'drank some water and lay down',
    'moved to the other side of the room',
  ],
  negative: {
    anger: [
      'was kicked by a neighbour for no reason',
      'was hit by a driver who did not stop',
      'was given the wrong medicine by the vet',
    ],
    sadness: [
      'ran away and has not come back',
      'grew too weak to stand up',
      'was given away to another family',
    ],
    fear: [
      'was bitten by a snake in the garden',
      'collapsed and stopped moving',
      'got trapped in a burning shed',
    ],
    disgust: [
      'rolled in rotting fish and came inside',
      'threw up all over the bed',
      'brought a dead rat into the kitchen',
    ],
  },
};

/** The weather on the day of an outing. */
export const WEATHER: EventCategory = {
  name: 'weather',
  subject: 'The weather',
  thing: 'the weather',
  positive: {
    happiness: [
      'stayed warm and bright for the whole {obj}',
      'cleared up just as the {obj} began',
      'gave us a perfect sunset at the end of the {obj}',
      'stayed dry and mild all day',
    ],
    surprise: [
      'brought a light snow in the middle of summer, right on time for the {obj}',
      'gave us a double rainbow right over the {obj}',
    ],
  },
  neutral: [
    'stayed cloudy and mild for the {obj}',
    'matched the forecast for the {obj}',
    'was grey but dry all day',
    'brought a light breeze in the afternoon',
    'stayed the same as the day before',
    'changed a little in the evening',
    'was cool in the morning and warmer later',
  ],
  negative: {
    anger: [
      'turned into a storm because the organisers ignored the warnings',
      'spoiled the {obj} after the forecast promised sunshine',
    ],
    sadness: [
      'washed out the {obj} completely',
      'turned to heavy rain and the {obj} was called off',
      'stayed cold and wet for the whole {obj}',
    ],
    fear: [
      'brought lightning that hit a tree next to us',
      'turned into a flood that trapped us on the road',
      'brought a storm that tore the roof off a shed',
    ],
    disgust: [
      'brought a flood that washed sewage across the field',
      'left the field a swamp of mud and dead worms',
    ],
  },
};

/** A dish. */
export const MEAL: EventCategory = {
  name: 'meal',
  subject: 'The {obj}',
  thing: 'the {obj}',
  positive: {
    happiness: [
      'was the best dish I have had in years',
      'came out perfectly golden',
      'was served with an extra dessert on the house',
      'won praise from every guest',
    ],
    surprise: [
      'was cooked by a famous chef who was visiting',
      'turned out to be free because we were the thousandth customers',
    ],
  },
  neutral: [
    'was served at the usual temperature',
    'came with a side of rice',
    'took twenty minutes to arrive',
    'was the same as the last time',
    'came on a plain white plate',
    'was cut into eight slices',
    'was made from the recipe on the packet',
  ],
  negative: {
    anger: [
      'arrived cold and the waiter refused to change it',
      'cost three times the price on the menu',
    ],
    sadness: [
      'burned while I was answering the door',
      'fell on the floor before anyone could taste it',
      'was ruined after a whole day of cooking',
    ],
    fear: [
      'gave my friend a serious allergic reaction',
      'caught fire in the oven',
      'had pieces of broken glass in it',
    ],
    disgust: [
      'had a hair and a dead fly in it',
      'smelled of rotten eggs',
      'had maggots crawling in the sauce',
    ],
  },
};

/** Something in the house: a machine, a fitting, part of the building. */
export const FIXTURE: EventCategory = {
  name: 'fixture',
  subject: 'The {obj}',
  thing: 'the {obj}',
  positive: {
    happiness: [
      'was fixed in ten minutes at no charge',
      'was replaced with a brand new one by the landlord',
      'worked better than ever after the service',
      'was repaired by a friend for free',
    ],
    surprise: [
      'started working again by itself',
      'turned out to be covered by a warranty I had forgotten',
    ],
  },
  neutral: [
    'was checked by the engineer',
    'got its yearly service',
    'was painted the same colour as before',
    'was cleaned on the usual day',
    'was measured for a new part',
    'made its normal noise when it started',
    'was tested and given a sticker',
  ],
  negative: {
    anger: [
      'broke again the day after a costly repair',
      'was left half done by a builder who took the money',
      'was damaged by the neighbours, who refused to pay',
    ],
    sadness: [
      'broke beyond repair',
      'flooded the kitchen and ruined my books',
    ],
    fear: [
      'started leaking gas in the night',
      'gave off sparks and a burning smell',
      'gave way and part of the ceiling fell in',
    ],
    disgust: [
      'was blocked with rotting food and hair',
      'leaked brown sludge all over the floor',
      'was full of dead mice',
    ],
  },
};
